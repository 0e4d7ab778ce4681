## Local accounts: registration by phone or e-mail, one-time codes, password reset.

accounts-register-title = Регистрация
accounts-register-link = Зарегистрироваться по телефону или электронной почте
accounts-register-login = Мобильный телефон или электронная почта
accounts-register-login-hint = Например, 8 (916) 123-45-67 или ivanov@example.ru. Мы пришлём код, чтобы подтвердить, что номер или адрес ваш.
accounts-register-submit = Зарегистрироваться
accounts-have-account = Уже есть учётная запись? Войти
accounts-password-hint = Не короче { $min ->
    [one] { $min } символа
   *[other] { $min } символов
}. Не используйте распространённые пароли, свой телефон или адрес почты.
accounts-password-repeat = Пароль ещё раз
accounts-new-password = Новый пароль
accounts-login-invalid = Не удалось распознать телефон или электронную почту. Введите российский мобильный номер, например 8 (916) 123-45-67 или +7 916 123-45-67, или адрес почты вида ivanov@example.ru.
accounts-invalid-credentials = Неверный телефон, электронная почта или пароль. Проверьте раскладку клавиатуры и попробуйте ещё раз.
accounts-login-taken = С этим телефоном или адресом почты уже есть учётная запись. Войдите в неё или восстановите пароль.
accounts-password-mismatch = Пароли не совпадают. Введите один и тот же пароль в оба поля.
accounts-password-short = Пароль слишком короткий. Придумайте пароль не короче { $min ->
    [one] { $min } символа
   *[other] { $min } символов
}.
accounts-password-repeated = Пароль состоит из одного повторяющегося символа. Придумайте пароль из разных символов.
accounts-password-common = Этот пароль слишком распространён, его подбирают первым. Придумайте другой.
accounts-password-contains-login = Пароль содержит ваш телефон или имя почтового ящика, его легко угадать. Придумайте другой.

accounts-confirm-title = Подтверждение контакта
accounts-confirm-lead = Мы отправили код из 6 цифр на
accounts-code-label = Код из сообщения
accounts-confirm-submit = Подтвердить
accounts-code-resend = Отправить код ещё раз
accounts-code-resent = Новый код отправлен. Прежний код больше не действует.
accounts-code-not-sent = Не удалось отправить код. Попробуйте отправить его ещё раз через несколько минут.
accounts-code-confirm-text = Код подтверждения «Помощника города»: { $code }. Никому не сообщайте его.
accounts-code-reset-text = Код для смены пароля «Помощника города»: { $code }. Если вы не запрашивали смену пароля, ничего не делайте.
accounts-code-mail-subject = Код «Помощника города»
accounts-code-wrong = Код неверный. { $count ->
    [one] Осталась { $count } попытка
    [few] Осталось { $count } попытки
   *[other] Осталось { $count } попыток
}, потом придётся запросить новый код.
accounts-code-expired = Срок действия кода истёк: код действует 10 минут. Запросите новый код.
accounts-code-too-many = Код введён неверно слишком много раз и больше не действует. Запросите новый код.
accounts-code-not-valid = Код не действует: он уже использован или заменён новым. Запросите новый код.
accounts-confirmed = Контакт подтверждён. Теперь вы можете подавать обращения.
accounts-not-confirmed = Чтобы подавать обращения, подтвердите телефон или электронную почту.
accounts-confirm-link = Подтвердить контакт

accounts-reset-title = Восстановление пароля
accounts-reset-link = Забыли пароль?
accounts-reset-lead = Укажите телефон или электронную почту, с которыми вы зарегистрировались. Мы пришлём на них код для смены пароля.
accounts-reset-send = Получить код
accounts-reset-sent = Если учётная запись с таким телефоном или адресом почты есть, мы отправили на него код. Код действует 10 минут.
accounts-reset-submit = Сменить пароль
accounts-reset-again = Запросить код ещё раз
accounts-reset-done = Пароль изменён, вход на всех устройствах завершён. Войдите с новым паролем.

accounts-sessions-heading = Сеансы
accounts-sessions-lead = Если вы входили с чужого устройства или подозреваете, что пароль узнали, завершите все сеансы. Потребуется войти заново на каждом устройстве.
accounts-sessions-end = Выйти на всех устройствах

accounts-audit-title = Журнал аудита
accounts-audit-action = Действие
accounts-audit-action-hint = Начало кода действия, например sign_in. или password.
accounts-audit-person = Кто действовал
accounts-audit-filter = Показать
accounts-audit-empty = Записей не найдено.
accounts-audit-at = Время (МСК)
accounts-audit-object = Объект
accounts-audit-details = Подробности
accounts-audit-older = Более ранние записи
accounts-audit-person-invalid = Не удалось распознать пользователя. Укажите его номер, например 42 или user:42.

accounts-2fa-title = Двухфакторная аутентификация
accounts-2fa-sign-in-title = Код подтверждения входа
accounts-2fa-sign-in-lead = Введите 6-значный код из приложения-аутентификатора или один из резервных кодов.
accounts-2fa-code = Код из приложения или резервный код
accounts-2fa-code-app = Код из приложения
accounts-2fa-start-over = Начать вход заново
accounts-2fa-wrong = Код не подходит. Введите текущий код из приложения (он меняется каждые 30 секунд) или неиспользованный резервный код.
accounts-2fa-too-many = Слишком много неверных кодов. Войдите заново с паролем.
accounts-2fa-pending-expired = Время на ввод кода истекло или вход не начат. Войдите заново с паролем.
accounts-2fa-api-refused = У этой учётной записи включена двухфакторная аутентификация. Войдите через сайт.
accounts-2fa-on = Двухфакторная аутентификация включена.
accounts-2fa-recovery-left = { $count ->
    [one] Остался { $count } резервный код.
    [few] Осталось { $count } резервных кода.
   *[other] Осталось { $count } резервных кодов.
}
accounts-2fa-disable = Отключить
accounts-2fa-enable = Включить
accounts-2fa-required = Сотрудникам нужно включить двухфакторную аутентификацию, прежде чем работать с сервисом.
accounts-2fa-setup-lead = Добавьте учётную запись в приложение-аутентификатор (например, Яндекс Ключ или FreeOTP): введите секретный ключ вручную или откройте ссылку otpauth на телефоне. Затем введите код, который покажет приложение.
accounts-2fa-secret = Секретный ключ:
accounts-2fa-uri = Ссылка для приложения:
accounts-2fa-recovery-lead = Сохраните резервные коды в надёжном месте. Каждый код действует один раз и заменяет код из приложения, если телефон потерян. Больше мы их не покажем.
