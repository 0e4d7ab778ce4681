## Администрирование: сотрудники

admin-staff-title = Сотрудники
admin-staff-create-heading = Новый сотрудник
admin-staff-list-heading = Учётные записи сотрудников
admin-staff-count = { $count ->
    [one] { $count } учётная запись
    [few] { $count } учётные записи
   *[many] { $count } учётных записей
}
admin-staff-id = Номер
admin-staff-email = Электронная почта (логин)
admin-staff-password = Пароль (не короче 10 символов)
admin-staff-role = Роль
admin-staff-role-moderator = Модератор
admin-staff-role-executor = Исполнитель
admin-staff-role-admin = Администратор
admin-staff-agency = Ведомство (только для исполнителя)
admin-staff-agency-none = Без ведомства
admin-staff-district = Районное подразделение (только для ведомств с районами)
admin-staff-district-none = Все районы
admin-staff-supervisor = Руководитель ведомства: получает просроченные обращения и видит показатели
admin-staff-create = Создать учётную запись
admin-staff-save = Сохранить
admin-staff-settings = Роль и ведомство
admin-staff-state = Доступ
admin-staff-created = создана
admin-staff-self = Это ваша учётная запись. Изменить её роль или заблокировать её может другой администратор.
admin-staff-enabled = Действует
admin-staff-disabled = Заблокирована
admin-staff-disable = Заблокировать
admin-staff-enable = Разблокировать
admin-staff-done-created = Учётная запись создана. Сообщите сотруднику логин и пароль.
admin-staff-done-updated = Изменения сохранены. Сотруднику нужно войти заново.
admin-staff-done-disabled = Учётная запись заблокирована, все её сеансы завершены.
admin-staff-done-enabled = Учётная запись разблокирована.
admin-staff-error-email = Электронная почта указана неверно. Введите адрес вида имя@домен.ru.
admin-staff-error-password = { $count ->
    [one] Пароль слишком короткий: нужен хотя бы { $count } символ.
    [few] Пароль слишком короткий: нужно хотя бы { $count } символа.
   *[many] Пароль слишком короткий: нужно хотя бы { $count } символов.
}
admin-staff-error-role = Выберите роль: модератор, исполнитель или администратор.
admin-staff-error-not-executor = Ведомство, район и отметка руководителя относятся только к исполнителям. Выберите роль «Исполнитель» или очистите эти поля.
admin-staff-error-agency-missing = Исполнителю нужно ведомство: выберите его в списке.
admin-staff-error-agency-unknown = Такого ведомства нет в справочнике. Выберите ведомство из списка.
admin-staff-error-district-agency = У ведомства «{ $agency }» нет районных подразделений. Выберите «Все районы».
admin-staff-error-district-unknown = Такого района нет в Москве. Выберите район из списка.
admin-staff-error-duplicate = Пользователь с такой электронной почтой уже есть. Укажите другой адрес.
admin-staff-error-self = Свою учётную запись изменить или заблокировать нельзя: попросите другого администратора.
