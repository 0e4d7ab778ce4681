# Administration of agencies and routing rules (/admin/catalog/agencies, /admin/catalog/routing).

agencies-link = Ведомства
agencies-title = Ведомства
agencies-new = Добавить ведомство
agencies-back = К списку ведомств
agencies-saved = Ведомство { $code } сохранено.
agencies-new-title = Новое ведомство
agencies-edit-title = Ведомство { $code }
agencies-code = Код
agencies-code-hint = Код (латинские строчные буквы, цифры и «_»; после создания не меняется)
agencies-name = Полное название
agencies-short-name = Краткое название
agencies-by-district = Работает по районам: у каждого района своё подразделение
agencies-by-district-column = По районам
agencies-executors-column = Исполнители
agencies-supervisors-column = Руководители
agencies-yes = да
agencies-no = нет
agencies-supervisors = Руководители (получают просроченные обращения и видят показатели ведомства)
agencies-no-executors = У ведомства пока нет исполнителей. Добавьте их в разделе «Сотрудники», затем выберите руководителей здесь.
agencies-district = район
agencies-save = Сохранить ведомство
agencies-dispatch = Передача в системы ведомства
agencies-webhook-dispatch = Отправлять обращение в системы ведомства при передаче ему (выключите, пока система ведомства не принимает обращения)
agencies-dispatch-none = Адреса для передачи обращений не настроены: ведомство работает с обращениями только в очереди «Помощника».
agencies-dispatch-config = Адреса и секретные ключи задаются в файле настройки сервиса (разделы [webhooks.ИМЯ]) и здесь не показываются.
agencies-error-code = Код указан неверно: используйте латинские строчные буквы, цифры и «_», не более 64 символов, первым символом не «_».
agencies-error-code-taken = Ведомство с таким кодом уже есть. Укажите другой код или измените существующее ведомство.
agencies-error-code-changed = Код существующего ведомства менять нельзя.
agencies-error-name = Укажите полное название длиной не более { $max } символов.
agencies-error-short-name = Укажите краткое название длиной не более { $max } символов.
agencies-error-districts-bound = { $count ->
    [one] { $count } исполнитель ведомства закреплён за районом. Снимите закрепление в разделе «Сотрудники» или оставьте работу по районам.
    [few] { $count } исполнителя ведомства закреплены за районами. Снимите закрепление в разделе «Сотрудники» или оставьте работу по районам.
   *[many] { $count } исполнителей ведомства закреплены за районами. Снимите закрепление в разделе «Сотрудники» или оставьте работу по районам.
}
agencies-error-supervisor = Руководителем можно выбрать только исполнителя этого ведомства. Обновите страницу и выберите из списка.

agencies-routing-link = Правила маршрутизации
agencies-routing-title = Правила маршрутизации
agencies-routing-intro = Правило направляет обращения категории, поданные в районе, другому ведомству вместо ответственного за категорию. Правило действует для обращений, поданных после его добавления; поданные раньше остаются у прежнего ведомства.
agencies-routing-add-heading = Новое правило
agencies-routing-list-heading = Действующие правила
agencies-routing-empty = Правил нет: все обращения направляются ведомству своей категории.
agencies-routing-category = Категория
agencies-routing-district = Район
agencies-routing-agency = Ведомство по правилу
agencies-routing-default-agency = Ведомство категории
agencies-routing-since = Добавлено
agencies-routing-add = Добавить правило
agencies-routing-remove = Удалить
agencies-routing-done-added = Правило добавлено. Оно действует для обращений, поданных с этого момента.
agencies-routing-done-removed = Правило удалено. Обращения, поданные по нему, остаются у его ведомства.
agencies-routing-error-category = Выберите категорию из списка.
agencies-routing-error-district = Выберите район из списка.
agencies-routing-error-agency = Выберите ведомство из списка.
agencies-routing-error-same-agency = Это ведомство и так отвечает за категорию. Выберите другое ведомство.
agencies-routing-error-duplicate = Для этой категории в этом районе правило уже есть. Удалите его, чтобы задать другое ведомство.
